"""The borrower portal: a borrower's own loans, statements, payoff letters and draw requests."""
