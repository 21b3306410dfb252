"""Reports: specs as data, compiled to SQL by pure functions; only ``store`` runs the SQL."""
