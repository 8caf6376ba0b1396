app_name = "bitrix24"
urlpatterns: list = []
