-- Whose account a connection reads with (and the token's scopes), as the provider
-- reported it when the credentials were checked; shown so people know what was granted.
ALTER TABLE connections ADD COLUMN connected_as text CHECK (length(connected_as) <= 500);
