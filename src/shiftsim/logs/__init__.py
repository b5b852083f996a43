"""From real logs to the simulator's contact log: reading, measuring and fitting.

``read_logs`` turns log files into the documented schema through a mapping
file; ``measure_logs`` computes the service actually given with the same KPI
code as a simulation; ``fit_logs`` writes a scenario that reproduces history;
``backtest`` simulates that scenario and compares it hour by hour with the
measured service.
"""
