"""Scheduled jobs run by APScheduler: backups, maintenance checks."""
