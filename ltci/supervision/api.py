from ninja import Router

router = Router(tags=["基金监管"])
