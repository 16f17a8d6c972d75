-- Availability windows of a resource (issue 5, point 1). `windows`: weekly rules, each
-- { "rrule": "FREQ=WEEKLY;BYDAY=TU,WE", "opens": "09:00", "closes": "18:00" }, wall-clock times in
-- Europe/Paris. `closures`: days it is closed, each { "from": "YYYY-MM-DD", "to": "YYYY-MM-DD" }
-- (inclusive, Paris dates). No window means bookable any time. Validated by the service.
ALTER TABLE resource
    ADD COLUMN windows  JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN closures JSONB NOT NULL DEFAULT '[]';
