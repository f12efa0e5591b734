"""From the records of one file kind (for the firms of one partition) to the text of their lines in
each batch: delivery remapping, deterministic order, line-level faults and their manifest notes.

Lines are ordered by (batch, firm index, the emitter's keys). Partitions hold contiguous ranges of
firm indexes, so concatenating the partitions' chunks in firm order gives the same bytes whatever
the partitioning. Every random choice is a hash of (seed, file kind, firm, batch, rank of the line
within the firm's block), never of a position in the partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from signaux_spark.synthetic.encoders import join
from signaux_spark.synthetic.faults import LINE_FAULTS
from signaux_spark.synthetic.files import SPECS, Schedule
from signaux_spark.synthetic.plan import Plan
from signaux_spark.synthetic.rng import Stream


@dataclass
class Records:
    """Rows of one file kind: natural batch, firm index, order keys and the text of each field.
    `notes` lists natural pitfalls already in the data: (row, fault key, expected outcome)."""

    key: str
    batch: np.ndarray
    firm: np.ndarray
    order: list[np.ndarray]
    fields: list[pa.Array]
    notes: list[tuple[np.ndarray, str | np.ndarray, str | np.ndarray]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.batch)


@dataclass
class Chunk:
    data: bytes
    lines: int
    notes: list[tuple[int, str, str]]  # (0-based physical line in the chunk, fault, expected)


def _note_arrays(rec: Records):
    rows, faults, expected = [], [], []
    for r, f, e in rec.notes:
        r = np.asarray(r, dtype=np.int64)
        rows.append(r)
        faults.append(np.broadcast_to(np.asarray(f, dtype=object), r.shape))
        expected.append(np.broadcast_to(np.asarray(e, dtype=object), r.shape))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    return np.concatenate(rows), np.concatenate(faults), np.concatenate(expected)


def render(rec: Records, plan: Plan, schedule: Schedule) -> dict[int, Chunk]:
    spec = SPECS[rec.key]
    note_rows, note_fault, note_expected = _note_arrays(rec)
    delivered = schedule.delivered(rec.key, rec.batch)
    keep = delivered >= 0
    order = np.lexsort(tuple(reversed([delivered[keep], rec.firm[keep]] + [k[keep] for k in rec.order])))
    rows = np.nonzero(keep)[0][order]
    new_index = np.full(len(rec), -1, dtype=np.int64)
    new_index[rows] = np.arange(len(rows))
    batch = delivered[rows]
    firm = rec.firm[rows]
    n = len(rows)
    if n == 0:
        return {}
    nr = new_index[note_rows]
    kept_notes = nr >= 0
    notes = list(
        zip(
            nr[kept_notes].tolist(),
            [0] * int(kept_notes.sum()),
            note_fault[kept_notes].tolist(),
            note_expected[kept_notes].tolist(),
            strict=True,
        )
    )
    noted = np.zeros(n, dtype=bool)
    noted[nr[kept_notes]] = True

    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (batch[1:] != batch[:-1]) | (firm[1:] != firm[:-1])
    starts = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    rank = np.arange(n) - starts

    # One fault at most per clean line, drawn with the profile's rates among the eligible ones.
    faults = [lf for lf in LINE_FAULTS if lf.applies(spec) and plan.faults[lf.key] > 0]
    chosen = np.full(n, -1)
    if faults:
        u = Stream(plan.seed, f"fault/{rec.key}").uniform(firm, batch, rank)
        cum = np.zeros(n)
        for i, lf in enumerate(faults):
            rate = np.full(n, plan.faults[lf.key])
            if lf.eligible is not None:
                rate = rate * lf.eligible(rec.fields, spec)[rows]
            hit = (chosen < 0) & ~noted & (u >= cum) & (u < cum + rate)
            chosen[hit] = i
            cum = cum + rate
    variants = Stream(plan.seed, f"variant/{rec.key}")

    lines = join(rec.fields, spec.sep).take(pa.array(rows))
    physical = np.ones(n, dtype=np.int64)
    replaced_rows, replaced_text = [], []
    copies = []  # (row, target batch, fault, expected)
    for i, lf in enumerate(faults):
        hit = np.nonzero(chosen == i)[0]
        if not len(hit):
            continue
        if lf.rewrite is None:
            if lf.key == "duplicate_line":
                copies += [(r, batch[r], lf.key, "duplicate_dropped") for r in hit]
            else:
                target = schedule.delivered(rec.key, batch[hit] + 1)
                copies += [(r, t, lf.key, "redelivered") for r, t in zip(hit, target, strict=True) if t >= 0]
            continue
        row_fields = list(zip(*[f.take(pa.array(rows[hit])).to_pylist() for f in rec.fields], strict=True))
        u3 = [variants.uniform(firm[hit], batch[hit], rank[hit], k) for k in range(3)]
        for j, r in enumerate(hit):
            result, outcomes = lf.rewrite(list(row_fields[j]), spec, (u3[0][j], u3[1][j], u3[2][j]))
            text = result if isinstance(result, str) else spec.sep.join(result)
            replaced_rows.append(r)
            replaced_text.append(text)
            physical[r] = len(outcomes) if lf.key == "malformed_line" else 1
            notes += [(int(r), offset, lf.key, expected) for offset, expected in outcomes]
    if replaced_rows:
        mask = np.zeros(n, dtype=bool)
        mask[replaced_rows] = True
        by_row = dict(zip(replaced_rows, replaced_text, strict=True))
        lines = pc.replace_with_mask(
            lines, pa.array(mask), pa.array([by_row[r] for r in np.nonzero(mask)[0]], pa.string())
        )

    # Copies (duplicates later in the firm's block, redeliveries in the next batch) come after the
    # firm's own lines of their batch.
    c_rows = np.array([c[0] for c in copies], dtype=np.int64)
    all_batch = np.concatenate([batch, np.array([c[1] for c in copies], dtype=np.int64)])
    all_firm = np.concatenate([firm, firm[c_rows]])
    tier = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(len(copies), dtype=np.int64)])
    position = np.concatenate([np.arange(n), c_rows])
    final = np.lexsort((position, tier, all_firm, all_batch))
    source_row = position[final]
    text = pc.binary_join_element_wise(lines.take(pa.array(source_row)), spec.line_end, "")
    phys = physical[source_row]
    phys[tier[final] == 1] = 1
    fb = all_batch[final]

    # Manifest notes, re-indexed on the final order.
    final_of_row = np.empty(n, dtype=np.int64)
    original = np.nonzero(tier[final] == 0)[0]
    final_of_row[source_row[original]] = original
    note_list = [(final_of_row[r], off, f, e) for r, off, f, e in notes]
    copy_final = np.nonzero(tier[final] == 1)[0]
    copy_index = final[copy_final] - n
    note_list += [(int(p), 0, copies[ci][2], copies[ci][3]) for p, ci in zip(copy_final, copy_index, strict=True)]

    text = pc.cast(text, pa.large_string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    line_start = np.concatenate([[0], np.cumsum(phys)])
    chunks: dict[int, Chunk] = {}
    bounds = np.nonzero(np.concatenate([[True], fb[1:] != fb[:-1], [True]]))[0]
    notes_by_batch: dict[int, list] = {}
    for pos, off, f, e in note_list:
        notes_by_batch.setdefault(int(fb[pos]), []).append((int(pos), off, f, e))
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        bt = int(fb[a])
        payload = memoryview(data)[offsets[a] : offsets[b]].tobytes()
        chunk_notes = sorted(
            (int(line_start[pos] - line_start[a] + off), f, e) for pos, off, f, e in notes_by_batch.get(bt, [])
        )
        chunks[bt] = Chunk(payload, int(line_start[b] - line_start[a]), chunk_notes)
    return chunks
