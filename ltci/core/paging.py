def querystring_without_page(params) -> str:
    """The request's filters as a query string, for page links that keep them."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()
