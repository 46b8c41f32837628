from django.http import HttpResponse, JsonResponse
from django.urls import path


def index(request):
    return HttpResponse("Hello from Django")


def echo(request):
    return JsonResponse({"method": request.method, "path": request.path, "query": request.GET.get("q"),
                         "body": request.body.decode("latin-1"), "remote": request.META.get("REMOTE_ADDR")})


urlpatterns = [path("", index), path("echo/", echo)]
