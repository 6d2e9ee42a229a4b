from ._native import (
    TokenCache as TokenCache,
    __version__ as __version__,
    scope_of_request as scope_of_request,
    solve as solve,
    solve_salt as solve_salt,
    solve_rpc_error as solve_rpc_error,
    solve_www_authenticate as solve_www_authenticate,
    verify as verify,
)
