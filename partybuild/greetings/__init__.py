"""Political birthdays (政治生日): e-cards on each member's party anniversary."""
