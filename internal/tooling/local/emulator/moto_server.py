# moto_server as its own script runs it (moto.server.main, same arguments), with costs of every
# request taken out; StartMoto runs this with the Python of the moto_server it found.
#
# usage: python -c "$(cat moto_server.py)" MOTO_SERVER [moto_server's arguments...]
#
# - moto 5's werkzeug_app.DomainDispatcherApplication.get_backend_for_host calls
#   backends.list_of_moto_modules() on every request, inside the lock every request takes: that
#   lists moto's package folder and stats each of its ~180 entries, about 1 ms of CPU a request
#   (moto 5.2.1, moto/backends.py). The folder does not change while the server runs: it is
#   listed once.
# - moto 5's core/errors.py get_error_model, for every error it answers (a GetParameter of a
#   parameter that does not exist, ...), makes a new ErrorLookupFactory, whose cache lives in the
#   instance, so each error builds its service's table of error shapes again from botocore's
#   model (SSM: 139 shapes). A service's table is built once here, kept by its serviceId.
# - moto 5's core/responses.py call_action lists the methods of the responses class on every
#   request (inspect.getmembers). A class's methods do not change while the server runs: each
#   class's list is kept.
# - werkzeug writes a log line per request to stderr, which StartMoto reads only for the start-up
#   line naming the port; the request lines are not written (the start-up lines still are).
# - werkzeug's threaded server (socketserver.ThreadingMixIn) starts a thread for every connection,
#   and every request is a connection of its own (werkzeug answers "Connection: close"): here the
#   connections are handed to a pool of reused threads instead (up to 256 at once, more wait their
#   turn), no thread started per request. A long poll (SQS's WaitTimeSeconds) holds one.
#
# Where this Python cannot import moto, it runs MOTO_SERVER itself, unchanged.
import functools
import os
import socketserver
import sys
from concurrent.futures import ThreadPoolExecutor

server = sys.argv[1]
try:
    from moto import backends
    from moto.server import main
    from werkzeug.serving import WSGIRequestHandler
except ImportError:
    os.execv(server, [server] + sys.argv[2:])

try:
    from moto.core import errors, responses
except ImportError:
    errors = responses = None
if hasattr(errors, "ErrorLookupFactory") and hasattr(errors.ErrorLookupFactory, "for_service"):
    error_tables = {}
    build_table = errors.ErrorLookupFactory.for_service

    def for_service(self, model):
        service = model.metadata.get("serviceId")
        if service is None:
            return build_table(self, model)
        if service not in error_tables:
            error_tables[service] = build_table(self, model)
        return error_tables[service]

    errors.ErrorLookupFactory.for_service = for_service
if hasattr(responses, "method_names_from_class"):
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
if hasattr(backends, "list_of_moto_modules"):
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
WSGIRequestHandler.log_request = lambda *args, **kwargs: None
pool = ThreadPoolExecutor(max_workers=256)
socketserver.ThreadingMixIn.process_request = lambda self, request, address: pool.submit(
    self.process_request_thread, request, address)
sys.argv = [server] + sys.argv[2:]
main(sys.argv[1:])
