# saebaram-map embeds Leaflet from npm: install it, exactly as package-lock.json pins it,
# before anything builds. Without it `cargo build` stops and says to run this.
npm ci --prefix crates/saebaram-map/web --no-audit --no-fund --loglevel=error
