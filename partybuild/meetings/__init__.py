"""Meetings (组织生活) and key tasks (重点任务 / 责任清单)."""
