-- A conversation's version counts its saves. A step that read the
-- conversation without locking it writes back only if the version is still
-- the one it read (one statement, no transaction held across the step);
-- otherwise it reads again and redoes the step.
ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
