"""Reports: the GB/T 9704 document engine, report kinds, the export centre."""
