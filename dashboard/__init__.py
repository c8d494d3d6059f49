"""Streamlit dashboard for on-call engineers and managers."""
