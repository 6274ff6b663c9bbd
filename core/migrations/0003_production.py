from tortoise import migrations
from tortoise.migrations import operations as ops
from core.production.states import EditedBy, ProductionStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_order_image_blobs')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='intake_job',
            field=fields.ForeignKeyField('models.Job', source_field='intake_job_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Order',
            name='ready_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='claimed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='claimed_by',
            field=fields.ForeignKeyField('models.User', source_field='claimed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='confidence',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='done_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='edit_job',
            field=fields.ForeignKeyField('models.Job', source_field='edit_job_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='edit_report',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='edited_by',
            field=fields.CharEnumField(null=True, description='ENGINE: ENGINE\nRETOUCHER: RETOUCHER', enum_type=EditedBy, max_length=12),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='error_code',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='error_message',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='original_bytes',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='production_status',
            field=fields.CharEnumField(default=ProductionStatus.QUEUED, description='QUEUED: QUEUED\nEDITING: EDITING\nRETOUCH: RETOUCH\nFAILED: FAILED\nDONE: DONE', enum_type=ProductionStatus, max_length=12),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='redo_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='redo_note',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='result_bytes',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='result_height',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='result_width',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='retouch_reason',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='retouch_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='OrderImage',
            index=Index(fields=['production_status', 'due_at', 'id']),
        ),
        ops.AddIndex(
            model_name='OrderImage',
            index=Index(fields=['order_id', 'production_status']),
        ),
    ]
