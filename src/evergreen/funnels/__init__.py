"""Funnels: steps with A/B variants on public pages, their traffic, and the ad spend they repay."""
