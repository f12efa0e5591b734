"""Operations: the monthly run and its run record."""
