"""Monthly scoring: every firm of the perimeter scored with the champion model, its alert level,
its rank in its region and the explanation of its score (`score.score_period`)."""
