from core.errors import InvalidTransition, NotFound


class OrderNotFound(NotFound):
    pass


class OrderInvalidTransition(InvalidTransition):
    pass
