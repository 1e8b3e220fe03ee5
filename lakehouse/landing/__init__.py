"""The landing folder's delivery contract, in one place.

- `contract`: the columns of each kind of delivery and where its files go;
- `files`: which files of the landing folder are deliveries (what Spark reads);
- `check`: every delivery checked against the contract before a build;
- `layouts`: dbt's arguments for a build, with the layouts of sales files whose header is
  not the contract's.

The generator writes to the contract, the profiler and the check read what `files` lists,
and dbt gets the same rules through vars in dbt_project.yml (a fast test keeps them equal).
"""
