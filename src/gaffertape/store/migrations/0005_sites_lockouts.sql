-- Sites capability, politeness across runs: lockouts remembered between runs, and which posts
-- the site accepted (its success text seen), so a repeat post never sends anything again.

-- A site (host) that locked the account, and until when: no run contacts it before `until`
-- unless told to (`--ignore-lockout`).
CREATE TABLE IF NOT EXISTS site_lockouts (
    site     TEXT PRIMARY KEY,      -- host[:port] of the site (one account, one lockout)
    profile  TEXT,                  -- the profile that met it
    until    TEXT NOT NULL,         -- UTC ISO time stamp
    seen_at  TEXT NOT NULL,
    message  TEXT
);

-- 1 when the site answered a post with its success text: the post counts as done even when
-- the site cannot show third marks back.
ALTER TABLE posts ADD COLUMN accepted INTEGER;
