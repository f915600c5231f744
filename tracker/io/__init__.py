"""Portfolio files and CSV import/export: validated first, written all-or-nothing."""
