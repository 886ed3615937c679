-- The catalog the device list was measured on (README "Devices"): load into a database migrated to the
-- schema before migration 7, then apply migration 7, VACUUM ANALYZE and run device-list.py.
-- 1,000,000 devices: ids dev-0000001..dev-1000000; 5 types (sensor 60 %, gateway 20 %, camera 15 %, actuator 4.9 %,
-- lock 0.1 %), 1,000 locations of 1,000 devices each, 2 % unregistered, of the registered two thirds online,
-- names '<Place> <quantity> sensor <n>' (each quantity word in 1/7 of the names).
INSERT INTO devices (device_id, name, type, firmware_version, hardware_version, location, capabilities,
                     active, online, last_seen, created_at, updated_at, watched_by)
SELECT 'dev-' || lpad(i::text, 7, '0'),
       (ARRAY['Boiler','Pump','Chiller','Gate','Meter','Valve','Fan','Door','Camera','Tank'])[1 + i % 10] || ' ' ||
       (ARRAY['temperature','pressure','humidity','flow','level','power','vibration'])[1 + (i / 10) % 7] || ' sensor ' || i,
       CASE WHEN i % 1000 < 600 THEN 'sensor' WHEN i % 1000 < 800 THEN 'gateway' WHEN i % 1000 < 950 THEN 'camera'
            WHEN i % 1000 < 999 THEN 'actuator' ELSE 'lock' END,
       '1.' || (i % 20), 'rev-' || (i % 3),
       'site-' || (i::bigint * 7919 % 1000),
       '["temperature","humidity"]',
       i % 50 <> 0,
       i % 50 <> 0 AND i % 3 <> 0,
       now() - (i % 86400) * interval '1 second',
       now() - i * interval '1 second', now() - (i % 1000) * interval '1 second',
       CASE WHEN i % 50 <> 0 AND i % 3 <> 0 THEN '127.0.0.1:11111@1' END
FROM generate_series(1, 1000000) AS i;
