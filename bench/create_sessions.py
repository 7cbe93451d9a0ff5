"""Creates N sessions with GET / over one keep-alive connection and checks every answer is 302."""
import http.client
import sys
from urllib.parse import urlparse

url = urlparse(sys.argv[1])
count = int(sys.argv[2])
conn = http.client.HTTPConnection(url.hostname, url.port)
for _ in range(count):
    conn.request("GET", "/")
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        sys.exit(f"GET / answered {response.status}")
