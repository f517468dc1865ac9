r"""A WSGI filter for the e2e Swift proxy: a 204 No Content without a Content-Length gets
"Content-Length: 0", so that eventlet does not frame it as chunked.

Debian 12's eventlet (0.33.1) frames as chunked every HTTP/1.1 response whose application gives no
Content-Length and no sized body, a 204 too, which Swift answers to a HEAD of a container or an
account. Its empty body ("0\r\n\r\n") stays on the keep-alive connection: a Go client (WAL-G) that
reuses the connection at once reads it as the next response's status line ('malformed HTTP response
"0"') and fails that request; otherwise Go logs "Unsolicited response received on idle HTTP channel"
and closes the connection. eventlet 0.38.0 sends no framing headers with a 204 (eventlet pull request
747). RFC 9110 says a server must not send a Content-Length with a 204; Swift itself sends
"Content-Length: 0" with its other 204s (DELETE, POST, the listing of an empty container), and Go
accepts it. Loaded by PasteDeploy from the proxy's pipeline (e2e/lib/servers.ts, startSwift).
"""


def filter_factory(global_conf, **local_conf):
    def middleware(app):
        def bodyless(environ, start_response):
            def respond(status, headers, exc_info=None):
                if status[:3] == '204' and not any(k.lower() == 'content-length' for k, _ in headers):
                    headers = list(headers) + [('Content-Length', '0')]
                return start_response(status, headers, exc_info)
            return app(environ, respond)
        return bodyless
    return middleware
