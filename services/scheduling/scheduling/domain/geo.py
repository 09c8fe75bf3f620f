"""Great-circle distances between bodies and venues."""
from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_matrix(lat_a, lon_a, lat_b, lon_b) -> np.ndarray:
    """Great-circle km from every point of A (rows) to every point of B."""
    la = np.radians(np.asarray(lat_a, dtype=float))[:, None]
    oa = np.radians(np.asarray(lon_a, dtype=float))[:, None]
    lb = np.radians(np.asarray(lat_b, dtype=float))[None, :]
    ob = np.radians(np.asarray(lon_b, dtype=float))[None, :]
    a = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((ob - oa) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
