-- purpose: mark runs left 'running' by a killed tick as interrupted (one writer at a time, so
--          any running row seen when a tick starts belongs to a process that died)
-- grain:   runs rows
-- params:  none
-- returns: nothing
UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running';
