"""A WSGI filter for the e2e Swift proxy: bodyless responses (204, 304) without a Content-Length get
"Content-Length: 0", so that eventlet does not frame them as chunked.

Debian 12's eventlet (0.33.1) gives every HTTP/1.1 response without a Content-Length a chunked body,
even a 204 No Content, which Swift answers to a HEAD of a container or an account. Its empty body
("0\\r\\n\\r\\n") stays on the keep-alive connection: a Go client (WAL-G) that reuses the connection at
once reads it as the next response's status line ("malformed HTTP response \\"0\\"") and fails that
request; otherwise Go logs "Unsolicited response received on idle HTTP channel". eventlet 0.38.0 sends
no framing headers on a 204 (eventlet pull request 747). Loaded by PasteDeploy from the proxy's
pipeline (e2e/lib/servers.ts, startSwift).
"""

BODYLESS = ('204', '304')


def filter_factory(global_conf, **local_conf):
    def middleware(app):
        def bodyless(environ, start_response):
            def respond(status, headers, exc_info=None):
                if status[:3] in BODYLESS and not any(k.lower() == 'content-length' for k, _ in headers):
                    headers = list(headers) + [('Content-Length', '0')]
                return start_response(status, headers, exc_info)
            return app(environ, respond)
        return bodyless
    return middleware
