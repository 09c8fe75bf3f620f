"""Rules of an adhesion, free of Flask and SQLAlchemy."""
