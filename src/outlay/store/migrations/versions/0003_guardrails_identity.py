"""Guardrails (budgets, report digests, cost alert rules, anomalies, Cursor member limits on
spend reads, delivery first attempts) and identity (pending single sign-ons, disabled users,
token scopes and last use, one-time links, the audit log)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("workspace", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"], unique=False)
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "one_time_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("workspace_ids", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index(op.f("ix_one_time_links_kind"), "one_time_links", ["kind"], unique=False)
    op.create_table(
        "sso_pending",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_index(op.f("ix_sso_pending_created_at"), "sso_pending", ["created_at"], unique=False)
    op.create_table(
        "alert_rules",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "name"),
    )
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("group", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("actual", sa.String(length=40), nullable=False),
        sa.Column("expected", sa.String(length=40), nullable=False),
        sa.Column("drivers", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("notified_amount", sa.String(length=40), nullable=True),
        sa.Column("notified_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_anomalies_workspace_id"), "anomalies", ["workspace_id"], unique=False)
    op.create_table(
        "budgets",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "name"),
    )
    op.create_table(
        "report_digests",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=200), nullable=False),
        sa.Column("every", sa.String(length=10), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "report"),
    )
    op.add_column("alert_deliveries", sa.Column("first_attempt_at", sa.DateTime(), nullable=True))
    op.add_column(
        "credentials",
        sa.Column("scope", sa.String(length=10), nullable=False, server_default="write"),
    )
    op.add_column("credentials", sa.Column("last_used_at", sa.DateTime(), nullable=True))
    op.add_column(
        "spend_members",
        sa.Column("hard_limit_override_dollars", sa.String(length=40), nullable=True),
    )
    op.add_column(
        "spend_members", sa.Column("monthly_limit_dollars", sa.String(length=40), nullable=True)
    )
    op.add_column(
        "spend_members", sa.Column("effective_limit_dollars", sa.String(length=40), nullable=True)
    )
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "disabled_at")
    op.drop_column("spend_members", "effective_limit_dollars")
    op.drop_column("spend_members", "monthly_limit_dollars")
    op.drop_column("spend_members", "hard_limit_override_dollars")
    op.drop_column("credentials", "last_used_at")
    op.drop_column("credentials", "scope")
    op.drop_column("alert_deliveries", "first_attempt_at")
    op.drop_table("report_digests")
    op.drop_table("budgets")
    op.drop_index(op.f("ix_anomalies_workspace_id"), table_name="anomalies")
    op.drop_table("anomalies")
    op.drop_table("alert_rules")
    op.drop_index(op.f("ix_sso_pending_created_at"), table_name="sso_pending")
    op.drop_table("sso_pending")
    op.drop_index(op.f("ix_one_time_links_kind"), table_name="one_time_links")
    op.drop_table("one_time_links")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("audit_log")
