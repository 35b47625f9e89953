"""Pure analysis functions of the portraits pipeline (no ORM): arrays / DataFrames in, results out."""
