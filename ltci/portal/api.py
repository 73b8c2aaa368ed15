from ninja import Router

router = Router(tags=["参保人服务"])
