"""Health and maintenance checks from the deployment checklist."""
