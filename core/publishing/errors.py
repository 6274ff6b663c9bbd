from core.errors import InvalidTransition, NotFound


class PlanNotFound(NotFound):
    pass


class PlanInvalidTransition(InvalidTransition):
    pass
