"""The programme office's web console (/ops): it reads and changes the
services only through their HTTP operations APIs."""
