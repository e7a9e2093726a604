-- The working calendar (time zone, working days and hours, holidays) a connection's durations
-- are also shown in; null is Monday to Friday, 9 to 5, UTC.
ALTER TABLE connections ADD COLUMN calendar jsonb;
