-- Sheets: the unit a table states on a line of its own ("thousands", "millions of dollars").
ALTER TABLE sheet_observations ADD COLUMN unit TEXT;
