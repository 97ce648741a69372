-- sheets: the marker column is `value_flags`, which attribute access reaches
-- (`data.value_flags`; `data.flags` is a pandas property). SQLite >= 3.25 renames in place.
ALTER TABLE sheet_observations RENAME COLUMN flags TO value_flags;
