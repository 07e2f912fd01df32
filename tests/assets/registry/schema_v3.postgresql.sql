-- The registry schema as version 3 created it (commit 6694040: the last numbered step,
-- before Alembic), for postgresql: DDL compiled from that commit's models.
-- tests/registry/test_db.py builds a released data dir from it and upgrades it.
CREATE TYPE orgrole AS ENUM ('ENTERPRISE', 'CERTIFICATION_BODY', 'PARTNER_CERTIFIER', 'PUBLISHER', 'ADMIN');
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
CREATE TABLE audit_entry (
	id INTEGER NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	org_id VARCHAR(64), 
	key_id VARCHAR(64), 
	via VARCHAR(16) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	subject_type VARCHAR(64) NOT NULL, 
	subject_id VARCHAR(200) NOT NULL, 
	before_digest VARCHAR(66), 
	after_digest VARCHAR(66), 
	prev_digest VARCHAR(66) NOT NULL, 
	digest VARCHAR(66) NOT NULL, 
	master_salt VARCHAR(66) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_audit_entry_action ON audit_entry (action);
CREATE INDEX ix_audit_entry_org_id ON audit_entry (org_id);
CREATE INDEX ix_audit_entry_subject_id ON audit_entry (subject_id);
CREATE TABLE audit_head (
	id INTEGER NOT NULL, 
	last_id INTEGER NOT NULL, 
	last_digest VARCHAR(66) NOT NULL, 
	PRIMARY KEY (id)
);
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
CREATE TABLE attestation (
	id VARCHAR(66) NOT NULL, 
	supplier_org_id VARCHAR NOT NULL, 
	signer VARCHAR(42) NOT NULL, 
	pushed_by_org_id VARCHAR NOT NULL, 
	component_id VARCHAR(256) NOT NULL, 
	product_id VARCHAR(256) NOT NULL, 
	declared_unit VARCHAR(32) NOT NULL, 
	kg_co2e_per_unit VARCHAR(40) NOT NULL, 
	nonce VARCHAR(66) NOT NULL, 
	expiry INTEGER NOT NULL, 
	upstream JSON NOT NULL, 
	depth INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	revocation_reason INTEGER, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	received_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (supplier_org_id, nonce), 
	FOREIGN KEY(supplier_org_id) REFERENCES organisation (id), 
	FOREIGN KEY(pushed_by_org_id) REFERENCES organisation (id)
);
CREATE INDEX ix_attestation_component_id ON attestation (component_id);
CREATE INDEX ix_attestation_pushed_by_org_id ON attestation (pushed_by_org_id);
CREATE INDEX ix_attestation_received_at ON attestation (received_at);
CREATE INDEX ix_attestation_signer ON attestation (signer);
CREATE INDEX ix_attestation_supplier_org_id ON attestation (supplier_org_id);
CREATE TABLE factor_dataset_version (
	id VARCHAR(96) NOT NULL, 
	dataset VARCHAR(63) NOT NULL, 
	version VARCHAR(32) NOT NULL, 
	seq INTEGER NOT NULL, 
	digest VARCHAR(66) NOT NULL, 
	org_id VARCHAR NOT NULL, 
	signer VARCHAR(42) NOT NULL, 
	factor_count INTEGER NOT NULL, 
	deprecates JSON NOT NULL, 
	document JSON NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (dataset, version), 
	UNIQUE (dataset, seq), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE INDEX ix_factor_dataset_version_created_at ON factor_dataset_version (created_at);
CREATE INDEX ix_factor_dataset_version_dataset ON factor_dataset_version (dataset);
CREATE INDEX ix_factor_dataset_version_org_id ON factor_dataset_version (org_id);
CREATE INDEX ix_factor_dataset_version_signer ON factor_dataset_version (signer);
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
CREATE TABLE id_prefix (
	id SERIAL NOT NULL, 
	org_id VARCHAR(64) NOT NULL, 
	scheme VARCHAR(16) NOT NULL, 
	prefix VARCHAR(32) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	evidence VARCHAR(500), 
	claimed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	confirmed_at TIMESTAMP WITH TIME ZONE, 
	confirmed_by_org_id VARCHAR(64), 
	confirmed_via VARCHAR(16), 
	PRIMARY KEY (id), 
	UNIQUE (org_id, scheme, prefix), 
	FOREIGN KEY(org_id) REFERENCES organisation (id), 
	FOREIGN KEY(confirmed_by_org_id) REFERENCES organisation (id)
);
CREATE INDEX ix_id_prefix_org_id ON id_prefix (org_id);
CREATE INDEX ix_id_prefix_prefix ON id_prefix (prefix);
CREATE INDEX ix_id_prefix_status ON id_prefix (status);
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
CREATE TABLE supplier_key (
	id SERIAL NOT NULL, 
	org_id VARCHAR NOT NULL, 
	address VARCHAR(42) NOT NULL, 
	label VARCHAR(200), 
	valid_from TIMESTAMP WITH TIME ZONE NOT NULL, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	revocation_reason VARCHAR(32), 
	replaced_by VARCHAR(42), 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE UNIQUE INDEX ix_supplier_key_address ON supplier_key (address);
CREATE INDEX ix_supplier_key_org_id ON supplier_key (org_id);
CREATE TABLE factor (
	id SERIAL NOT NULL, 
	version_id VARCHAR(96) NOT NULL, 
	dataset VARCHAR(63) NOT NULL, 
	version VARCHAR(32) NOT NULL, 
	factor_id VARCHAR(128) NOT NULL, 
	search_text VARCHAR NOT NULL, 
	category VARCHAR(16), 
	geography VARCHAR(16) NOT NULL, 
	year INTEGER NOT NULL, 
	illustrative BOOLEAN NOT NULL, 
	data JSON NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (version_id, factor_id), 
	FOREIGN KEY(version_id) REFERENCES factor_dataset_version (id)
);
CREATE INDEX ix_factor_category ON factor (category);
CREATE INDEX ix_factor_dataset ON factor (dataset);
CREATE INDEX ix_factor_factor_id ON factor (factor_id);
CREATE INDEX ix_factor_geography ON factor (geography);
CREATE INDEX ix_factor_illustrative ON factor (illustrative);
CREATE INDEX ix_factor_version_id ON factor (version_id);
CREATE TABLE footprint_factor (
	footprint_id VARCHAR NOT NULL, 
	dataset VARCHAR(63) NOT NULL, 
	version VARCHAR(32) NOT NULL, 
	factor_id VARCHAR(128) NOT NULL, 
	PRIMARY KEY (footprint_id, dataset, version, factor_id), 
	FOREIGN KEY(footprint_id) REFERENCES footprint (id)
);
CREATE INDEX ix_footprint_factor_dataset_factor ON footprint_factor (dataset, factor_id);
CREATE TABLE inventory_record (
	id VARCHAR(64) NOT NULL, 
	footprint_id VARCHAR NOT NULL, 
	org_id VARCHAR NOT NULL, 
	digest VARCHAR(66) NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(footprint_id) REFERENCES footprint (id), 
	FOREIGN KEY(org_id) REFERENCES organisation (id)
);
CREATE UNIQUE INDEX ix_inventory_record_footprint_id ON inventory_record (footprint_id);
CREATE INDEX ix_inventory_record_org_id ON inventory_record (org_id);
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
	reissue_of VARCHAR, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(footprint_id) REFERENCES footprint (id), 
	FOREIGN KEY(enterprise_org_id) REFERENCES organisation (id), 
	FOREIGN KEY(certifier_org_id) REFERENCES organisation (id), 
	UNIQUE (certificate_number), 
	FOREIGN KEY(supersedes) REFERENCES label (id), 
	FOREIGN KEY(superseded_by) REFERENCES label (id), 
	FOREIGN KEY(reissue_of) REFERENCES label (id)
);
CREATE INDEX ix_label_certifier_org_id ON label (certifier_org_id);
CREATE INDEX ix_label_created_at ON label (created_at);
CREATE INDEX ix_label_enterprise_org_id ON label (enterprise_org_id);
CREATE INDEX ix_label_footprint_id ON label (footprint_id);
CREATE INDEX ix_label_gtin ON label (gtin);
CREATE UNIQUE INDEX ix_label_reissue_of ON label (reissue_of);
CREATE INDEX ix_label_serial ON label (serial);
CREATE TABLE recognition (
	id VARCHAR(66) NOT NULL, 
	org_id VARCHAR NOT NULL, 
	recognizer VARCHAR(42) NOT NULL, 
	scheme VARCHAR(64) NOT NULL, 
	subject_type VARCHAR(16) NOT NULL, 
	subject VARCHAR(66) NOT NULL, 
	category VARCHAR(64) NOT NULL, 
	valid_from INTEGER NOT NULL, 
	valid_until INTEGER NOT NULL, 
	label_id VARCHAR, 
	status VARCHAR(16) NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(org_id) REFERENCES organisation (id), 
	FOREIGN KEY(label_id) REFERENCES label (id)
);
CREATE INDEX ix_recognition_created_at ON recognition (created_at);
CREATE INDEX ix_recognition_label_id ON recognition (label_id);
CREATE INDEX ix_recognition_org_id ON recognition (org_id);
CREATE INDEX ix_recognition_recognizer ON recognition (recognizer);
CREATE INDEX ix_recognition_status ON recognition (status);
CREATE INDEX ix_recognition_subject ON recognition (subject);
CREATE TABLE recognition_withdrawal (
	id VARCHAR(66) NOT NULL, 
	recognition_id VARCHAR NOT NULL, 
	reason INTEGER NOT NULL, 
	time INTEGER NOT NULL, 
	record JSON NOT NULL, 
	master_salt VARCHAR NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(recognition_id) REFERENCES recognition (id)
);
CREATE UNIQUE INDEX ix_recognition_withdrawal_recognition_id ON recognition_withdrawal (recognition_id);
CREATE TABLE tanji_schema (id INTEGER PRIMARY KEY, version INTEGER);
INSERT INTO tanji_schema (id, version) VALUES (1, 3);
