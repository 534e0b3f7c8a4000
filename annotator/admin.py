from django.contrib import admin

from . import models

admin.site.register(models.Dataset)
admin.site.register(models.Membership)
admin.site.register(models.Subject)
admin.site.register(models.Video)
admin.site.register(models.Interval)
admin.site.register(models.Revision)
admin.site.register(models.PredictionRun)
admin.site.register(models.Prediction)
admin.site.register(models.ModelCheckpoint)
admin.site.register(models.Job)
