//! The network: the link, and the transfers over it.

use anyhow::Result;

use super::Validator;
use crate::scenario::raw::*;
use crate::scenario::*;

impl Validator<'_> {
    pub(super) fn network(&self, network: &RawNetwork, stage_names: &[String]) -> Result<Network> {
        let transfers = network
            .transfers
            .iter()
            .enumerate()
            .map(|(index, transfer)| {
                let key = format!("network.transfers[{index}]");
                Ok(Transfer {
                    name: transfer.name.value.clone(),
                    of: self.data_ref(&transfer.of, &format!("{key}.of"), stage_names)?,
                    of_text: transfer.of.value.clone(),
                    direction: transfer.direction,
                    window: transfer
                        .window
                        .as_ref()
                        .map(|f| {
                            self.duration(
                                f,
                                &format!("{key}.window"),
                                &format!("window[{}]", transfer.name.value),
                            )
                        })
                        .transpose()?,
                    share: transfer
                        .share
                        .as_ref()
                        .map(|f| {
                            self.fraction(
                                f,
                                &format!("{key}.share"),
                                &format!("share[{}]", transfer.name.value),
                            )
                        })
                        .transpose()?,
                    compression: transfer
                        .compression
                        .as_ref()
                        .map(|f| {
                            let at = format!("{key}.compression");
                            let ratio = self.ratio(
                                f,
                                &at,
                                &format!("compression[{}]", transfer.name.value),
                            )?;
                            if ratio.base() < 1.0 {
                                return Err(self.error(
                                    &at,
                                    &f.referenced,
                                    format!(
                                        "`{}` would make the bytes larger on the wire; a compression ratio is 1 or more (4 = a quarter of the bytes cross the link)",
                                        f.value.0.trim()
                                    ),
                                ));
                            }
                            Ok(ratio)
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.unique_names(
            network.transfers.iter().map(|t| &t.name),
            "network.transfers",
            "transfer",
        )?;
        let bandwidth = self.byte_rate(&network.bandwidth, "network.bandwidth", "bandwidth")?;
        if bandwidth.base() > plausible::LINK_BYTES_PER_S {
            self.warn(
                "network.bandwidth",
                &network.bandwidth.referenced,
                format!(
                    "{} is faster than any network link today (800 Gbps); check the unit (`Gbps`, `GB/s`)",
                    crate::units::human_bit_rate(bandwidth.base())
                ),
            );
        }
        let card = network
            .card
            .as_ref()
            .map(|f| self.byte_rate(f, "network.card", "card"))
            .transpose()?;
        Ok(Network {
            card,
            bandwidth,
            transfers,
        })
    }
}
