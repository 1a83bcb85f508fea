"""Tether's storage mode as a Cinder volume backend (``volume_driver = tether_cinder.driver.TetherDriver``)."""
