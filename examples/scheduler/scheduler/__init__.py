"""Sunny Clinic: a small appointment-scheduler bot that embeds Veil for live support."""
