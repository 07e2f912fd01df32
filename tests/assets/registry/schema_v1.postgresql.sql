-- The registry schema as version 1 created it (commit 4874206: create_missing_tables, the
-- first and only migration step then), for postgresql: DDL compiled from that commit's models.
-- tests/registry/test_db.py builds a version-1 data dir from it and upgrades it.
CREATE TYPE orgrole AS ENUM ('ENTERPRISE', 'CERTIFICATION_BODY', 'PARTNER_CERTIFIER', 'ADMIN');
CREATE TABLE anchor_batch (
	id SERIAL NOT NULL, 
	root VARCHAR(66) NOT NULL, 
	record_count INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	chain_id INTEGER, 
	contract VARCHAR(42), 
	tx_hash VARCHAR(66), 
	raw_tx VARCHAR, 
	nonce INTEGER, 
	block_number INTEGER, 
	block_timestamp INTEGER, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	anchored_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_anchor_batch_root ON anchor_batch (root);
CREATE INDEX ix_anchor_batch_status ON anchor_batch (status);
CREATE TABLE anchor_revocation (
	id SERIAL NOT NULL, 
	record_type VARCHAR(64) NOT NULL, 
	record_id VARCHAR(200) NOT NULL, 
	root VARCHAR(66) NOT NULL, 
	leaf_hash VARCHAR(66) NOT NULL, 
	reason INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	tx_hash VARCHAR(66), 
	raw_tx VARCHAR, 
	nonce INTEGER, 
	block_number INTEGER, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (record_type, record_id)
);
CREATE INDEX ix_anchor_revocation_status ON anchor_revocation (status);
CREATE TABLE certificate_counter (
	year SERIAL NOT NULL, 
	last INTEGER NOT NULL, 
	PRIMARY KEY (year)
);
CREATE TABLE organisation (
	name VARCHAR(200) NOT NULL, 
	role orgrole NOT NULL, 
	address VARCHAR(500), 
	id VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE anchor_record (
	id SERIAL NOT NULL, 
	record_type VARCHAR(64) NOT NULL, 
	record_id VARCHAR(200) NOT NULL, 
	leaf_value JSON NOT NULL, 
	leaf_hash VARCHAR(66) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	batch_id INTEGER, 
	leaf_index INTEGER, 
	proof JSON, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (record_type, record_id), 
	FOREIGN KEY(batch_id) REFERENCES anchor_batch (id)
);
CREATE INDEX ix_anchor_record_batch_id ON anchor_record (batch_id);
CREATE INDEX ix_anchor_record_leaf_hash ON anchor_record (leaf_hash);
CREATE INDEX ix_anchor_record_status ON anchor_record (status);
CREATE TABLE api_key (
	id SERIAL NOT NULL, 
	org_id VARCHAR NOT NULL, 
	key_id VARCHAR NOT NULL, 
	key_hash VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE UNIQUE INDEX ix_api_key_key_id ON api_key (key_id);
CREATE INDEX ix_api_key_org_id ON api_key (org_id);
CREATE TABLE footprint (
	id VARCHAR NOT NULL, 
	org_id VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	content_hash VARCHAR NOT NULL, 
	category VARCHAR NOT NULL, 
	gtin VARCHAR, 
	data JSON NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (org_id, content_hash), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE INDEX ix_footprint_category ON footprint (category);
CREATE INDEX ix_footprint_created_at ON footprint (created_at);
CREATE INDEX ix_footprint_gtin ON footprint (gtin);
CREATE INDEX ix_footprint_org_id ON footprint (org_id);
CREATE TABLE idempotency_entry (
	id SERIAL NOT NULL, 
	org_id VARCHAR NOT NULL, 
	key VARCHAR(200) NOT NULL, 
	request_hash VARCHAR NOT NULL, 
	status_code INTEGER NOT NULL, 
	response JSON NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (org_id, key), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE TABLE label (
	id VARCHAR NOT NULL, 
	footprint_id VARCHAR NOT NULL, 
	enterprise_org_id VARCHAR NOT NULL, 
	certifier_org_id VARCHAR NOT NULL, 
	certificate_number VARCHAR NOT NULL, 
	gtin VARCHAR, 
	serial VARCHAR, 
	valid_from DATE NOT NULL, 
	valid_until DATE NOT NULL, 
	grade VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	revocation_reason INTEGER, 
	revocation_note VARCHAR, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	supersedes VARCHAR, 
	superseded_by VARCHAR, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(footprint_id) REFERENCES footprint (id), 
	FOREIGN KEY(enterprise_org_id) REFERENCES organisation (id), 
	FOREIGN KEY(certifier_org_id) REFERENCES organisation (id), 
	UNIQUE (certificate_number), 
	FOREIGN KEY(supersedes) REFERENCES label (id), 
	FOREIGN KEY(superseded_by) REFERENCES label (id)
);
CREATE INDEX ix_label_certifier_org_id ON label (certifier_org_id);
CREATE INDEX ix_label_created_at ON label (created_at);
CREATE INDEX ix_label_enterprise_org_id ON label (enterprise_org_id);
CREATE INDEX ix_label_footprint_id ON label (footprint_id);
CREATE INDEX ix_label_gtin ON label (gtin);
CREATE INDEX ix_label_serial ON label (serial);
CREATE TABLE tanji_schema (id INTEGER PRIMARY KEY, version INTEGER);
INSERT INTO tanji_schema (id, version) VALUES (1, 1);
