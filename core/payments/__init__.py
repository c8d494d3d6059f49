"""Payments: accept a request, sign it, submit it safely, and keep its history."""
