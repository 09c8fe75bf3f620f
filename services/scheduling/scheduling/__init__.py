"""The scheduling service: local days, webinars, assignments, attendance."""
SERVICE = "scheduling"
