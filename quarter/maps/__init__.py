"""Maps with streets, even offline.

* `streets`  the street layer Quarter serves itself when no tile server is
  configured: the imported walking network cut into z/x/y tiles, simplified per
  zoom, with street names and compound outlines and names (`views.street_tile`);
* `presets`  the tile presets a Chinese deployment uses (天地图, 高德, any XYZ)
  read from the environment, and the exact hosts the CSP must allow;
* `gcj02`    WGS-84 <-> GCJ-02, for 高德 tiles (its twin is static/maps/gcj02.js);
* `widgets`  the location picker every form with a position uses.

Positions are stored in WGS-84 everywhere; only the map edge converts.
"""
