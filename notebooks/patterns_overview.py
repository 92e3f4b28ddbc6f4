# %% [markdown]
# # AIlert: an analyst's first look at the store
#
# Open the **published read copy** (it never blocks a tick) and answer the usual questions.
# Run it as a script (`python notebooks/patterns_overview.py [READ_COPY]`) or open it in
# Jupyter/VS Code as a percent-format notebook. By default it reads the demo's copy:
# run `make demo` first.

# %%
from __future__ import annotations

import sys
from pathlib import Path

import duckdb

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("snapshots/ailert.read.duckdb")
con = duckdb.connect(str(path), read_only=True)
con.execute("SET TimeZone = 'UTC'")

# %% [markdown]
# ## What is in here (every table and view carries a comment)

# %%
print(con.sql("SELECT table_name AS name, comment FROM duckdb_tables() ORDER BY name"))
views = "SELECT view_name AS name, comment FROM duckdb_views() WHERE NOT internal ORDER BY name"
print(con.sql(views))

# %% [markdown]
# ## The loudest patterns, and errors per source over the last day of data

# %%
print(con.sql("SELECT source, level, total, template FROM patterns ORDER BY total DESC LIMIT 10"))
latest = con.execute("SELECT max(bucket) FROM v_pattern_timeline").fetchall()[0][0]
errors = con.sql(
    """
    SELECT source, level, template, sum(n) AS n
    FROM v_pattern_timeline
    WHERE level IN ('warn', 'error', 'fatal') AND bucket >= $latest - INTERVAL 1 DAY
    GROUP BY ALL ORDER BY n DESC LIMIT 10
    """,
    params={"latest": latest},
).pl()
print(errors)

# %% [markdown]
# ## What appeared for the first time, and what the ticks found

# %%
new = "SELECT source, level, first_seen, template FROM v_new_patterns WHERE is_new LIMIT 10"
print(con.sql(new))
print(con.sql("SELECT kind, source, level, score, template FROM v_findings LIMIT 10"))
con.close()
