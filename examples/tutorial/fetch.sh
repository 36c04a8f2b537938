#!/bin/sh
# Downloads the page at $URL into scratch space, then shouts it.
curl -sS -o /tmp/page "$URL" && tr a-z A-Z < /tmp/page
