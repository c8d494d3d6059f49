"""A local Stellar network that speaks Horizon."""
